package api

import (
	"github.com/vigil-cctv/vigil/internal/rights"
	"github.com/vigil-cctv/vigil/internal/web/httpx"
	"github.com/vigil-cctv/vigil/internal/works"
)

// Routes are the API's routes, each with what it asks of its caller;
// they join the server's table, which checks and authorises them as it
// does its own.
func (s *API) Routes() []httpx.Route {
	return []httpx.Route{
		{Pattern: "GET /api/v1/me", Anyone: true, H: s.me},
		{Pattern: "GET /api/v1/roles", Anyone: true, H: s.listRoles},
		{Pattern: "GET /api/v1/cameras", Anyone: true, H: s.listCameras},
		{Pattern: "POST /api/v1/cameras", Need: rights.ManageCameras, H: s.createCamera},
		{Pattern: "GET /api/v1/cameras/{id}", Anyone: true, H: s.getCamera},
		// A connection test dials an address not yet saved: it needs the
		// right to manage cameras somewhere, and changes nothing.
		{Pattern: "POST /api/v1/cameras/test", Need: rights.ManageCameras, H: s.testCamera},
		// A CSV file of cameras, all or none; each row must be one the
		// caller may add.
		{Pattern: "POST /api/v1/cameras/import", Need: rights.ManageCameras, H: s.importCameras},
		{Pattern: "PATCH /api/v1/cameras/{id}", Need: rights.ManageCameras, H: s.patchCamera},
		{Pattern: "DELETE /api/v1/cameras/{id}", Need: rights.ManageCameras, H: s.deleteCamera},
		{Pattern: "GET /api/v1/cameras/{id}/recordings", Need: rights.PlayBack, H: s.recordings},
		{Pattern: "GET /api/v1/cameras/{id}/video.mp4", Need: rights.PlayBack, Long: httpx.Flowing, H: s.video},
		// Early deletion of footage (erasure.go), under four eyes where
		// the camera's organisation asks for it.
		{Pattern: "POST /api/v1/cameras/{id}/deletions", Need: rights.ManageCameras, H: s.requestDeletion},
		{Pattern: "POST /api/v1/cameras/{id}/whep", Need: rights.ViewLive, H: s.whepOffer},
		{Pattern: "PATCH /api/v1/cameras/{id}/whep/{session}", Need: rights.ViewLive, H: s.whepPatch},
		// Ending one's own live view is always allowed, rights or not.
		{Pattern: "DELETE /api/v1/cameras/{id}/whep/{session}", Anyone: true, H: s.whepDelete},
		{Pattern: "GET /api/v1/cameras/{id}/live.ws", Need: rights.ViewLive, Long: httpx.Socket, H: s.liveWS},
		{Pattern: "GET /api/v1/layouts", Anyone: true, H: s.listLayouts},
		{Pattern: "GET /api/v1/layouts/{name}", Anyone: true, H: s.getLayout},
		{Pattern: "PUT /api/v1/layouts/{name}", Anyone: true, H: s.putLayout},
		{Pattern: "DELETE /api/v1/layouts/{name}", Anyone: true, H: s.deleteLayout},
		{Pattern: "GET /api/v1/map/outline", Anyone: true, H: s.mapOutline},
		{Pattern: "GET /api/v1/organisations", Anyone: true, H: s.listOrganisations},
		{Pattern: "POST /api/v1/organisations", Need: rights.ManageUsers, H: s.createOrganisation},
		{Pattern: "GET /api/v1/organisations/{id}", Anyone: true, H: s.getOrganisation},
		{Pattern: "PATCH /api/v1/organisations/{id}", Need: rights.ManageUsers, H: s.patchOrganisation},
		{Pattern: "PUT /api/v1/organisations/{id}/four-eyes", Need: rights.ManageUsers, H: s.putFourEyes},
		{Pattern: "GET /api/v1/users", Need: rights.ManageUsers, H: s.listUsers},
		{Pattern: "POST /api/v1/users", Need: rights.ManageUsers, H: s.createUser},
		{Pattern: "GET /api/v1/users/{id}", Need: rights.ManageUsers, H: s.getUser},
		{Pattern: "DELETE /api/v1/users/{id}", Need: rights.ManageUsers, H: s.deleteUser},
		{Pattern: "PUT /api/v1/users/{id}/roles", Need: rights.ManageUsers, H: s.putUserRoles},
		// Acting on someone else's account, each with a reason
		// (people_admin.go).
		{Pattern: "POST /api/v1/users/{id}/password-reset", Need: rights.ManageUsers, H: s.resetPassword},
		{Pattern: "POST /api/v1/users/{id}/unlock", Need: rights.ManageUsers, H: s.unlockUser},
		{Pattern: "DELETE /api/v1/users/{id}/second-factor", Need: rights.ManageUsers, H: s.revokeSecondFactor},
		{Pattern: "GET /api/v1/camera-groups", Need: rights.ManageCameras, H: s.listGroups},
		{Pattern: "POST /api/v1/camera-groups", Need: rights.ManageCameras, H: s.createGroup},
		{Pattern: "GET /api/v1/camera-groups/{id}", Need: rights.ManageCameras, H: s.getGroup},
		{Pattern: "PUT /api/v1/camera-groups/{id}", Need: rights.ManageCameras, H: s.putGroup},
		{Pattern: "DELETE /api/v1/camera-groups/{id}", Need: rights.ManageCameras, H: s.deleteGroup},
		{Pattern: "GET /api/v1/sharing-agreements", Anyone: true, H: s.listAgreements},
		{Pattern: "POST /api/v1/sharing-agreements", Need: rights.ManageCameras, H: s.createAgreement},
		{Pattern: "GET /api/v1/sharing-agreements/{id}", Anyone: true, H: s.getAgreement},
		{Pattern: "PATCH /api/v1/sharing-agreements/{id}", Need: rights.ManageCameras, H: s.patchAgreement},
		{Pattern: "POST /api/v1/sharing-agreements/{id}/incident", Need: rights.ViewLive, H: s.agreementIncident},
		{Pattern: "GET /api/v1/approvals", Anyone: true, H: s.listApprovals},
		{Pattern: "POST /api/v1/approvals", Need: rights.Export, H: s.requestExport},
		{Pattern: "GET /api/v1/approvals/{id}", Anyone: true, H: s.getApproval},
		{Pattern: "POST /api/v1/approvals/{id}/approve", Anyone: true, H: s.approve},
		{Pattern: "POST /api/v1/approvals/{id}/reject", Anyone: true, H: s.reject},
		{Pattern: "GET /api/v1/audit", Need: rights.ReadAudit, Long: httpx.Flowing, H: s.listAudit},
		// Maintenance (maintenance.go): faults are reported by anyone who
		// sees the camera; the list, availability and the contractor's
		// report are scoped by the handlers to those who manage cameras or
		// read the figures; the contractor's progress is managing cameras.
		{Pattern: "GET /api/v1/maintenance/faults", Anyone: true, H: s.listFaults},
		{Pattern: "POST /api/v1/maintenance/faults", Anyone: true, H: s.raiseFault},
		{Pattern: "GET /api/v1/maintenance/faults/{id}", Anyone: true, H: s.getFault},
		{Pattern: "PATCH /api/v1/maintenance/faults/{id}", Need: rights.ManageCameras, H: s.patchFault},
		{Pattern: "GET /api/v1/maintenance/availability", Anyone: true, H: s.availability},
		{Pattern: "GET /api/v1/maintenance/report", Anyone: true, H: s.reportAPI},
		// The trading company: read with read finance, for the customers
		// in one's scope; changes need manage_finance at the partnership
		// itself, which the trading service decides.
		{Pattern: "GET /api/v1/trading/settings", Need: rights.ReadFinance, H: s.getTradingSettings},
		{Pattern: "PUT /api/v1/trading/settings", Need: rights.ReadFinance, H: s.putTradingSettings},
		{Pattern: "GET /api/v1/trading/subscriptions", Need: rights.ReadFinance, H: s.listSubscriptions},
		{Pattern: "POST /api/v1/trading/subscriptions", Need: rights.ReadFinance, H: s.createSubscription},
		{Pattern: "PATCH /api/v1/trading/subscriptions/{id}", Need: rights.ReadFinance, H: s.patchSubscription},
		{Pattern: "POST /api/v1/trading/subscriptions/{id}/units", Need: rights.ReadFinance, H: s.setSubscriptionUnits},
		{Pattern: "PUT /api/v1/trading/customers/{id}/address", Need: rights.ReadFinance, H: s.putCustomerAddress},
		{Pattern: "GET /api/v1/trading/charges", Need: rights.ReadFinance, H: s.listCharges},
		{Pattern: "POST /api/v1/trading/charges", Need: rights.ReadFinance, H: s.createCharge},
		{Pattern: "GET /api/v1/trading/invoices", Need: rights.ReadFinance, H: s.listInvoices},
		{Pattern: "POST /api/v1/trading/invoices", Need: rights.ReadFinance, H: s.issueInvoices},
		{Pattern: "GET /api/v1/trading/invoices.csv", Need: rights.ReadFinance, H: s.invoicesCSV},
		{Pattern: "GET /api/v1/trading/invoices/{id}", Need: rights.ReadFinance, H: s.getInvoice},
		{Pattern: "GET /api/v1/trading/invoices/{id}/csv", Need: rights.ReadFinance, H: s.invoiceCSV},
		{Pattern: "POST /api/v1/trading/invoices/{id}/credit", Need: rights.ReadFinance, H: s.creditInvoice},
		// Works contracts, departments' budgets and works orders
		// (works.go): read within one's scope, changed at the partnership
		// (manage_finance, which the works service decides).
		{Pattern: "GET /api/v1/works/contracts", Need: rights.ReadFinance, H: s.listWorksContracts},
		{Pattern: "POST /api/v1/works/contracts", Need: rights.ReadFinance, H: s.createWorksContract},
		{Pattern: "GET /api/v1/works/contracts/{id}", Need: rights.ReadFinance, H: s.getWorksContract},
		{Pattern: "GET /api/v1/works/budgets", Need: rights.ReadFinance, H: s.listWorksBudgets},
		{Pattern: "PUT /api/v1/works/budgets", Need: rights.ReadFinance, H: s.putWorksBudget},
		{Pattern: "POST /api/v1/works/budgets/import", Need: rights.ReadFinance, H: s.importWorksBudgets},
		{Pattern: "GET /api/v1/works/orders", Need: rights.ReadFinance, H: s.listWorksOrders},
		{Pattern: "POST /api/v1/works/orders", Need: rights.ReadFinance, H: s.raiseWorksOrder},
		{Pattern: "GET /api/v1/works/orders/{id}", Need: rights.ReadFinance, H: s.getWorksOrder},
		{Pattern: "POST /api/v1/works/orders/{id}/quote", Need: rights.ReadFinance, H: s.stepWorksOrder(works.Quoted)},
		{Pattern: "POST /api/v1/works/orders/{id}/approve", Need: rights.ReadFinance, H: s.stepWorksOrder(works.Approved)},
		{Pattern: "POST /api/v1/works/orders/{id}/complete", Need: rights.ReadFinance, H: s.stepWorksOrder(works.Completed)},
		{Pattern: "POST /api/v1/works/orders/{id}/cancel", Need: rights.ReadFinance, H: s.stepWorksOrder(works.Cancelled)},
		// The recharge (finance.go): read by those who read figures,
		// each seeing their own organisation's; changed only with
		// manage_finance at the partnership itself (the finance service
		// decides). Their pages and CSV downloads are the console's.
		{Pattern: "GET /api/v1/finance/statement", Need: rights.ReadFinance, H: s.financeStatement},
		{Pattern: "GET /api/v1/finance/categories", Need: rights.ReadFinance, H: s.financeCategories},
		{Pattern: "PUT /api/v1/finance/categories/{name}", Need: rights.ReadFinance, H: s.putFinanceCategory},
		{Pattern: "GET /api/v1/finance/lines", Need: rights.ReadFinance, H: s.financeLines},
		{Pattern: "PUT /api/v1/finance/lines", Need: rights.ReadFinance, H: s.putFinanceLines},
		{Pattern: "GET /api/v1/finance/budgets", Need: rights.ReadFinance, H: s.financeBudgets},
		{Pattern: "PUT /api/v1/finance/budgets", Need: rights.ReadFinance, H: s.putFinanceBudgets},
		{Pattern: "GET /api/v1/finance/cameras/{id}/history", Need: rights.ReadFinance, H: s.cameraHistory},
		{Pattern: "POST /api/v1/finance/cameras/{id}/history", Need: rights.ReadFinance, H: s.addCameraHistory},
		{Pattern: "DELETE /api/v1/finance/cameras/{id}/history/{event}", Need: rights.ReadFinance, H: s.deleteCameraHistory},
		{Pattern: "POST /api/v1/finance/import/{kind}", Need: rights.ReadFinance, H: s.importFinance},
	}
}
