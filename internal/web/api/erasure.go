package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/vigil-cctv/vigil/internal/approvals"
	"github.com/vigil-cctv/vigil/internal/footage"
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
)

// Early deletion of footage: POST /api/v1/cameras/{id}/deletions, by
// those who manage the camera, with a reason. Where the camera's
// organisation, or one that owned it at some instant of the range (or
// one above them), requires four eyes for delete_footage,
// it answers 202 with a request that someone else who manages the camera
// approves, and the footage goes when they do; otherwise it goes at once.
// Either way what is deleted is decided when it is deleted, so footage
// held as evidence meanwhile stays.

const kindDeleteFootage = approvals.KindDeleteFootage

// deletionRequest is the body of POST /api/v1/cameras/{id}/deletions.
type deletionRequest struct {
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Reason string    `json:"reason"`
	// DryRun asks what would be deleted, deleting nothing: the console's
	// confirmation.
	DryRun bool `json:"dry_run"`
}

type keptJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Why   string    `json:"why"`
}

type rangeJSON struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// deletionJSON is what an early deletion did.
type deletionJSON struct {
	CameraID int64     `json:"camera_id"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Reason   string    `json:"reason"`
	// Deleted is from the start of the first deleted segment to the end
	// of the last; null when nothing was.
	Deleted  *rangeJSON `json:"deleted"`
	Segments int        `json:"segments"`
	Bytes    int64      `json:"bytes"`
	// Kept is footage inside the range left in place, and why.
	Kept     []keptJSON `json:"kept"`
	Approval *int64     `json:"approval,omitempty"`
	// DryRun: nothing was deleted; this is what would be, and whether
	// it waits for a second person's approval first.
	DryRun        bool `json:"dry_run,omitempty"`
	NeedsApproval bool `json:"needs_approval,omitempty"`
}

func deletionOf(d footage.Deletion) deletionJSON {
	out := deletionJSON{CameraID: d.CameraID, Start: d.Start, End: d.End, Reason: d.Reason, Segments: d.Segments, Bytes: d.Bytes,
		Kept: []keptJSON{}, DryRun: d.DryRun, NeedsApproval: d.NeedsApproval}
	if d.Deleted != nil {
		out.Deleted = &rangeJSON{Start: d.Deleted.Start, End: d.Deleted.End}
	}
	for _, k := range d.Kept {
		out.Kept = append(out.Kept, keptJSON{Start: k.Start, End: k.End, Why: k.Why})
	}
	if d.ApprovalID != 0 {
		id := d.ApprovalID
		out.Approval = &id
	}
	return out
}

func (s *API) requestDeletion(w http.ResponseWriter, r *http.Request) error {
	c, err := s.footageCamera(r, rights.ManageCameras)
	if err != nil {
		return err
	}
	var in deletionRequest
	if err := httpx.DecodeJSON(r, &in); err != nil {
		return err
	}
	d, err := s.footage.RequestDeletion(r.Context(), footageCaller(r), c, footage.DeletionRequest{Start: in.Start, End: in.End, Reason: in.Reason, DryRun: in.DryRun})
	if err != nil {
		return httpx.Refusal(err)
	}
	if d.Pending != nil {
		out, err := s.approvalJSON(r.Context(), httpx.AccessOf(r.Context()), *d.Pending, nil)
		if err != nil {
			return err
		}
		w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", d.Pending.ID))
		httpx.WriteJSON(w, http.StatusAccepted, out)
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, deletionOf(d))
	return nil
}

// carryOutDeletion deletes the footage of an approved request and
// records the outcome on it.
func (s *API) carryOutDeletion(r *http.Request, ap approvals.Approval) (approvals.Approval, error) {
	return s.footage.CarryOutDeletion(r.Context(), footageCaller(r), ap)
}
