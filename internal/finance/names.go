package finance

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-cctv/vigil/internal/problem"
)

// Camera is a camera as the recharge knows it: its name and owner, and
// whether it was removed (its history still counts).
type Camera struct {
	ID      int64
	Name    string
	Org     int64
	Removed bool
}

// Names resolves the names people use in spreadsheets: cameras by id or
// name (live ones: history is imported for cameras that are there),
// organisations and categories by name.
type Names struct {
	byID   map[int64]Camera
	byName map[string][]Camera
	orgs   map[string]int64
	cats   map[string]bool
}

// Names reads what an import resolves names against.
func (s *Service) Names(ctx context.Context) (*Names, error) {
	cams, err := s.repo.FinanceCameras(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.repo.FinanceOrgs(ctx)
	if err != nil {
		return nil, err
	}
	cats, err := s.repo.FinanceCategories(ctx)
	if err != nil {
		return nil, err
	}
	n := &Names{byID: map[int64]Camera{}, byName: map[string][]Camera{}, orgs: map[string]int64{}, cats: map[string]bool{}}
	for _, c := range cams {
		if c.Removed {
			continue
		}
		n.byID[c.ID] = c
		n.byName[strings.ToLower(c.Name)] = append(n.byName[strings.ToLower(c.Name)], c)
	}
	for _, o := range orgs {
		n.orgs[o.Name] = o.ID
	}
	for _, c := range cats {
		n.cats[c.Name] = true
	}
	return n, nil
}

// Camera is the live camera ref names, by id or else by name (in any
// case); a name two cameras share is refused, naming how many.
func (n *Names) Camera(ref string) (Camera, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		c, ok := n.byID[id]
		if !ok {
			return c, problem.Invalidf("there is no camera %d", id)
		}
		return c, nil
	}
	switch m := n.byName[strings.ToLower(ref)]; len(m) {
	case 0:
		return Camera{}, problem.Invalidf("there is no camera named %q", ref)
	case 1:
		return m[0], nil
	default:
		return Camera{}, problem.Invalidf("%d cameras are named %q: give the camera's id instead", len(m), ref)
	}
}

// Org is the organisation named name, exactly.
func (n *Names) Org(name string) (int64, error) {
	id, ok := n.orgs[name]
	if !ok {
		return 0, problem.Invalidf("there is no organisation named %q", name)
	}
	return id, nil
}

// Category refuses a category that does not exist; none is fine.
func (n *Names) Category(name string) error {
	if name != "" && !n.cats[name] {
		return problem.Invalidf("there is no category %q", name)
	}
	return nil
}

// HistoryTable is the history of every camera whose owner's figures the
// caller may read, removed cameras included, as a table whose first row
// names the columns: the columns the import reads (camera by id, so that
// it imports back; its name beside it for people).
func (s *Service) HistoryTable(ctx context.Context, c Caller) ([][]string, error) {
	es, err := s.repo.CameraHistory(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.repo.FinanceCameras(ctx)
	if err != nil {
		return nil, err
	}
	cams := make(map[int64]Camera, len(list))
	for _, c := range list {
		cams[c.ID] = c
	}
	orgs, err := s.repo.FinanceOrgs(ctx)
	if err != nil {
		return nil, err
	}
	orgName := map[int64]string{}
	for _, o := range orgs {
		orgName[o.ID] = o.Name
	}
	rows := [][]string{{"camera", "camera_name", "date", "event", "category", "organisation", "note"}}
	for _, e := range es {
		cam := cams[e.Camera]
		if !c.MayRead(cam.Org) {
			continue
		}
		rows = append(rows, []string{strconv.FormatInt(e.Camera, 10), cam.Name, e.Day.Format(time.DateOnly), string(e.Kind), e.Category, orgName[e.Org], e.Note})
	}
	return rows, nil
}
