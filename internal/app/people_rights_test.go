package app

import (
	"fmt"
	"maps"
)

// The administration pages for people and organisations, and the actions
// on someone else's account they use, in the permission matrix. Each
// action names a fresh user of the council, so no probe changes another's
// target; another council's is hidden.

func init() {
	maps.Copy(routeAccess, map[string]string{
		"GET /admin/people":                       "manage_users",
		"GET /admin/organisations":                "manage_users",
		"POST /api/v1/users/{id}/password-reset":  "manage_users",
		"POST /api/v1/users/{id}/unlock":          "manage_users",
		"DELETE /api/v1/users/{id}/second-factor": "manage_users",
	})
}

func peopleProbes() map[string]routeProbe {
	reasoned := func(method, action string) func(f *rightsFixture, _ *roleUser, own bool) call {
		return func(f *rightsFixture, _ *roleUser, own bool) call {
			return call{method: method, path: fmt.Sprintf("/api/v1/users/%d/%s", f.newUser(f.pick(own, f.orgA, f.orgB), "operator"), action),
				body: map[string]any{"reason": "the permission matrix"}}
		}
	}
	return map[string]routeProbe{
		"GET /admin/people":                       {build: get("/admin/people"), ok: 200, page: true},
		"GET /admin/organisations":                {build: get("/admin/organisations"), ok: 200, page: true},
		"POST /api/v1/users/{id}/password-reset":  {build: reasoned("POST", "password-reset"), ok: 200, scoped: true},
		"POST /api/v1/users/{id}/unlock":          {build: reasoned("POST", "unlock"), ok: 200, scoped: true},
		"DELETE /api/v1/users/{id}/second-factor": {build: reasoned("DELETE", "second-factor"), ok: 204, scoped: true},
	}
}
