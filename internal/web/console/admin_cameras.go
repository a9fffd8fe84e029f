package console

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"

	"github.com/vigil-cctv/vigil/internal/rights"
)

// The cameras' administration page (/admin/cameras): the cameras the user
// manages, with their settings, storage and retention, and the forms that
// add, change, disable, move and remove them, and test a camera's
// connection (static/admin_cameras.js). The forms call the JSON API, so
// the page keeps the API's rules, four eyes and audit: a move under a
// four-eyes policy is sent for approval there. Each camera's state and
// last error come from the running cameras through the API's camera list,
// which the script reads.

// adminCamera is a row of the cameras' table.
type adminCamera struct {
	ID                  int64
	Name, Organisation  string
	OrganisationID      int64
	URL, Transport      string
	RetentionDays       int
	Enabled             bool
	Area, Site          string
	StorageBytes        int64
	HasPosition         bool
	Latitude, Longitude float64
}

// adminCamerasData is the page's model: the cameras and the organisations
// the user may add cameras to or move them to.
type adminCamerasData struct {
	Cameras       []adminCamera
	Organisations []rights.Org
}

func (c *Console) adminCamerasPage(w http.ResponseWriter, r *http.Request) error {
	a := accessOf(r)
	now := c.now()
	cams, err := c.opt.Store.ListCameras(r.Context())
	if err != nil {
		return err
	}
	used, err := c.opt.Store.CameraStorage(r.Context())
	if err != nil {
		return err
	}
	var d adminCamerasData
	for _, o := range a.Snap.Orgs() {
		if a.Snap.CanOrg(a.P, rights.ManageCameras, o.ID).Allowed {
			d.Organisations = append(d.Organisations, o)
		}
	}
	slices.SortFunc(d.Organisations, func(x, y rights.Org) int { return cmp.Compare(x.Name, y.Name) })
	for _, cam := range cams {
		if !a.Snap.Can(a.P, rights.ManageCameras, rights.Camera{ID: cam.ID, Org: cam.OrganisationID}, now).Allowed {
			continue
		}
		org, ok := a.Snap.Org(cam.OrganisationID)
		if !ok {
			org.Name = fmt.Sprintf("organisation %d", cam.OrganisationID)
		}
		row := adminCamera{
			ID: cam.ID, Name: cam.Name, Organisation: org.Name, OrganisationID: cam.OrganisationID,
			URL: cam.URL, Transport: cam.Transport, RetentionDays: cam.RetentionDays, Enabled: cam.Enabled,
			Area: cam.Area, Site: cam.Site, StorageBytes: used[cam.ID],
		}
		if cam.Latitude != nil && cam.Longitude != nil {
			row.HasPosition, row.Latitude, row.Longitude = true, *cam.Latitude, *cam.Longitude
		}
		d.Cameras = append(d.Cameras, row)
	}
	slices.SortFunc(d.Cameras, func(x, y adminCamera) int {
		return cmp.Or(cmp.Compare(x.Organisation, y.Organisation), cmp.Compare(x.Name, y.Name))
	})
	return c.Show(w, r, "admin_cameras.html", "Cameras", "admin", d)
}

// bytesText is a size as a person reads it: "1.5 GB".
func bytesText(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}
