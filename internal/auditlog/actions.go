// Package auditlog is what Vigil's audit trail records, apart from how it
// keeps it: the registry of actions (every kind of record, with what it
// means) and the entry a writer hands in. It imports nothing of Vigil's, so
// that every capability can say what it did without depending on the
// trail's storage (package audit), which depends on the store.
package auditlog

// The registry of actions: every kind of record Vigil writes to the
// trail, with what it means in plain words, for the people who read the
// trail (a data protection officer, an auditor, a court) as much as for
// the code that writes it.
//
// An Action can only be one of the values below: its name is unexported,
// so code outside this package cannot make one from a string, nor can an
// untyped string constant stand for one (as it could for a named string
// type, where Action: "footage.exprot" would compile). A writer that
// names an action not in this list does not compile; the console's
// filter and docs/AUDIT-ACTIONS.md are made from the same list.
//
// The names are what is stored, and each record's hash covers its name:
// a name here never changes, even where it reads oddly (api.revoke), or
// the trail written before would no longer match the registry.

// Action is something Vigil records in the audit trail. Its zero value
// is no action: the trail refuses it.
type Action struct{ name string }

// String is the action's name as stored, e.g. "footage.export".
func (a Action) String() string { return a.name }

// MarshalText writes the name, so that logs and JSON show it.
func (a Action) MarshalText() ([]byte, error) { return []byte(a.name), nil }

// Info is the action's entry in the registry; the zero ActionInfo for
// one that is not registered (the zero Action, or an action copied from
// the old audit log by ImportLegacy).
func (a Action) Info() ActionInfo { return registered[a.name] }

// Category groups actions for people reading the trail.
type Category string

// The categories, in the order the docs list them.
const (
	CategoryFootage     Category = "Footage"
	CategoryAccounts    Category = "Signing in and accounts"
	CategoryPeople      Category = "People and organisations"
	CategoryCameras     Category = "Cameras"
	CategoryRights      Category = "Rights and sharing"
	CategoryApprovals   Category = "Approvals by a second person"
	CategoryMaintenance Category = "Maintenance"
	CategoryFinance     Category = "The partnership's finance"
	CategoryTrading     Category = "The trading company"
	CategoryWorks       Category = "Works"
	CategoryTrail       Category = "The audit trail itself"
)

// ActionInfo is one action of the registry.
type ActionInfo struct {
	Action   Action
	Category Category
	// Description says what a record of the action means, in a few
	// words a reader of the trail understands without knowing Vigil's
	// code ("Exported (downloaded) recorded footage").
	Description string
	// Note, where there is one, says more: who writes it, what the
	// detail holds.
	Note string
}

var (
	// registry is every action, in the order defined.
	registry []ActionInfo
	// registered finds an action's entry by its name.
	registered = map[string]ActionInfo{}
)

// define registers an action. It is the only place an Action with a name
// is made, apart from Stored.
func define(name string, c Category, description, note string) Action {
	if _, dup := registered[name]; dup || name == "" {
		// A programming error in the list below, caught at start.
		panic("audit: action " + name + " defined twice or without a name")
	}
	a := Action{name: name}
	info := ActionInfo{Action: a, Category: c, Description: description, Note: note}
	registry = append(registry, info)
	registered[name] = info
	return a
}

// Stored is the action named name as a store gave it back: the audit
// outbox's records on their way into the trail, and the old audit log's
// records that ImportLegacy moves there, registered or not (the trail
// keeps what happened, not what the names are now). Writers never call it:
// they name one of the variables below.
func Stored(name string) Action { return Action{name: name} }

// Actions returns the registry, in the order of the list below (grouped
// by category).
func Actions() []ActionInfo { return append([]ActionInfo(nil), registry...) }

// Lookup finds a stored action's name in the registry, for readers of the
// trail (the console shows what an action means).
func Lookup(name string) (ActionInfo, bool) {
	info, ok := registered[name]
	return info, ok
}

// The actions. Keep each category together: the docs list them in this
// order. The description is short (the console's filter shows it beside
// the name); the note, where there is one, says what more a reader needs.
var (
	LiveStart      = define("live.start", CategoryFootage, "Began watching a camera live", "")
	LiveStop       = define("live.stop", CategoryFootage, "Stopped watching a camera live", "The detail says for how long, or that the live view never started, or that the server ended it because the viewer's right to watch lapsed.")
	FootagePlay    = define("footage.play", CategoryFootage, "Played recorded footage", "For the camera and time range shown: one record per play, written before any of the footage is sent; a player's further requests for the same file by the same person from the same address within two minutes of the last (its byte ranges, a seek) are part of that play and not recorded again. A refused request is recorded too, with \"nothing served\" in the detail.")
	FootageExport  = define("footage.export", CategoryFootage, "Exported (downloaded) recorded footage", "For the camera and time range shown, with the reason given. A refused request is recorded too, with \"nothing served\" in the detail.")
	FootageDeleted = define("footage.deleted", CategoryFootage, "Deleted recorded footage", "For the camera and time range shown: by Vigil (user vigil) when it passed the camera's retention period or a storage folder ran short of room, or by a person before its time, with the reason given (approved by a second person where the organisation asks for one).")

	SignIn            = define("signin", CategoryAccounts, "Signed in", "The detail says how: password, a second factor, single sign-on.")
	SignInFailed      = define("signin.failed", CategoryAccounts, "Was refused signing in", "A wrong password or code, an unknown or locked account, or a single sign-on that failed; the detail says which.")
	SignInLocked      = define("signin.locked", CategoryAccounts, "Locked out after too many failed sign-ins", "Vigil refuses the account's sign-ins for a while.")
	SignOut           = define("signout", CategoryAccounts, "Signed out", "")
	PasswordChange    = define("password.change", CategoryAccounts, "Changed their password", "")
	TOTPEnrol         = define("totp.enrol", CategoryAccounts, "Set up two-step sign-in", "With an authenticator app; the user was given recovery codes.")
	TokenCreate       = define("token.create", CategoryAccounts, "Created an API token", "A key with which a program acts as the user, until the time shown.")
	APITokenRevoke    = define("api.revoke", CategoryAccounts, "Revoked an API token", "One of their own.")
	SessionRevoke     = define("session.revoke", CategoryAccounts, "Ended a signed-in session", "One of their own, for example on another computer.")
	PasswordReset     = define("password.reset", CategoryAccounts, "Reset a user's password", "For the user named in the detail, with the reason given: a new password they must change at their next sign-in, their sessions ended.")
	UserUnlock        = define("user.unlock", CategoryAccounts, "Unlocked a user's account", "The user's failed sign-ins were forgotten, with the reason given, so they may sign in again at once.")
	TOTPRevoke        = define("totp.revoke", CategoryAccounts, "Removed a user's two-step sign-in", "For the user named in the detail (a lost phone), with the reason given: they set it up again, their sessions ended.")
	SessionsRevokeAll = define("session.revoke_all", CategoryAccounts, "Signed a user out everywhere", "Every signed-in session of the user named in the detail was ended, with the reason given where one was (the console always asks).")

	UserCreate         = define("user.create", CategoryPeople, "Created a user account", "In the console, on the server's command line, or at the user's first single sign-on; by Vigil itself (as vigil) for the first administrator, made at first start, and for the demo's and the benchmarks' accounts, the detail then saying so.")
	UserUpdate         = define("user.update", CategoryPeople, "Changed a user's role or organisation", "As single sign-on reported them.")
	UserDelete         = define("user.delete", CategoryPeople, "Deleted a user account", "With the reason given, where one was (the console always asks).")
	OrganisationCreate = define("organisation.create", CategoryPeople, "Created an organisation", "A partner, an agency, a department.")
	OrganisationUpdate = define("organisation.update", CategoryPeople, "Changed an organisation", "Its name or kind.")

	CameraCreate      = define("camera.create", CategoryCameras, "Added a camera", "")
	CameraUpdate      = define("camera.update", CategoryCameras, "Changed a camera's settings", "")
	CameraDelete      = define("camera.delete", CategoryCameras, "Removed a camera", "")
	CameraGroupCreate = define("camera_group.create", CategoryCameras, "Created a camera group", "Cameras that rights and sharing agreements name together.")
	CameraGroupDelete = define("camera_group.delete", CategoryCameras, "Deleted a camera group", "")

	RightsSetRoles         = define("rights.set_roles", CategoryRights, "Changed a user's roles", "What they may do, and over which organisations.")
	RightsCreateAgreement  = define("rights.create_agreement", CategoryRights, "Made a sharing agreement", "One organisation lets another see some of its cameras, with the rights and conditions shown.")
	RightsUpdateAgreement  = define("rights.update_agreement", CategoryRights, "Changed or ended a sharing agreement", "")
	RightsSetFourEyes      = define("rights.set_four_eyes", CategoryRights, "Changed what needs a second person's approval", "Which of an organisation's actions wait for someone else to approve them.")
	RightsMoveOrganisation = define("rights.move_organisation", CategoryRights, "Moved an organisation under another", "The other's people gain rights over it.")
	RightsUpdateGroup      = define("rights.update_group", CategoryRights, "Changed the cameras of a camera group", "")
	RightsMoveCamera       = define("rights.move_camera", CategoryRights, "Moved a camera to another owner", "")
	SharingIncident        = define("sharing.incident", CategoryRights, "Opened or closed an incident on a sharing agreement", "For an agreement that applies only while an incident is open.")

	ApprovalRequest = define("approval.request", CategoryApprovals, "Asked for a second person's approval", "Of an export of footage, an early deletion of footage or a change of rights.")
	ApprovalApprove = define("approval.approve", CategoryApprovals, "Approved someone else's request", "The change approved follows in a record of its own.")
	ApprovalReject  = define("approval.reject", CategoryApprovals, "Rejected someone else's request", "")

	FaultRaise  = define("fault.raise", CategoryMaintenance, "Reported a camera fault", "By a person, or by Vigil itself (as vigil) for a camera without video too long.")
	FaultUpdate = define("fault.update", CategoryMaintenance, "Updated a camera fault", "Its state, priority or notes; Vigil itself (as vigil) records an offline fault fixed when the video comes back.")

	FinanceLines         = define("finance.lines", CategoryFinance, "Set a period's cost lines", "")
	FinanceBudgets       = define("finance.budgets", CategoryFinance, "Set a year's budgets", "The partners' budgets, the rounding unit and the fixed element.")
	FinanceCategory      = define("finance.category", CategoryFinance, "Changed a monitoring category's weight", "By which the partners share the costs.")
	FinanceHistoryAdd    = define("finance.history.add", CategoryFinance, "Entered an event in a camera's finance history", "Installed, moved, recategorised or removed, on a date.")
	FinanceHistoryDelete = define("finance.history.delete", CategoryFinance, "Removed an event from a camera's finance history", "One entered in error.")
	FinanceImport        = define("finance.import", CategoryFinance, "Imported figures from a spreadsheet", "Cost lines, budgets or camera history, from a CSV file.")

	TradingSettings           = define("trading.settings", CategoryTrading, "Changed the trading company's settings", "Its VAT rate, invoice numbering or payment terms.")
	TradingCustomerAddress    = define("trading.customer.address", CategoryTrading, "Recorded a customer's address", "Where its invoices are sent, from the next one issued.")
	TradingSubscriptionCreate = define("trading.subscription.create", CategoryTrading, "Started a customer's subscription", "To a monitoring service.")
	TradingSubscriptionUpdate = define("trading.subscription.update", CategoryTrading, "Changed a subscription", "Its reference or end date.")
	TradingUnits              = define("trading.units", CategoryTrading, "Changed a subscription's units", "How many it covers, from a date.")
	TradingCharge             = define("trading.charge", CategoryTrading, "Added a one-off charge", "To a customer's next invoice.")
	TradingInvoice            = define("trading.invoice", CategoryTrading, "Issued an invoice", "")
	TradingCredit             = define("trading.credit", CategoryTrading, "Issued a credit note", "Cancelling an invoice, with the reason given.")

	WorksContractCreate = define("works.contract.create", CategoryWorks, "Entered a works contract", "With a contractor.")
	WorksBudgetSet      = define("works.budget.set", CategoryWorks, "Set a department's works budget", "For a financial year.")
	WorksBudgetImport   = define("works.budget.import", CategoryWorks, "Imported works budgets from a spreadsheet", "")
	WorksOrderRaise     = define("works.order.raise", CategoryWorks, "Raised a works order", "Against a contract, at an estimate.")
	WorksOrderQuote     = define("works.order.quote", CategoryWorks, "Entered a works order's quote", "The contractor's price.")
	WorksOrderApprove   = define("works.order.approve", CategoryWorks, "Approved a works order", "At the amount shown.")
	WorksOrderComplete  = define("works.order.complete", CategoryWorks, "Completed a works order", "At its final cost.")
	WorksOrderCancel    = define("works.order.cancel", CategoryWorks, "Cancelled a works order", "")

	TrailExport             = define("audit.export", CategoryTrail, "Downloaded the audit trail", "As a spreadsheet (CSV); the detail names the filter.")
	TrailImport             = define("audit.import", CategoryTrail, "Moved the old audit log into the trail", "Done by Vigil once, on upgrading.")
	TrailPruned             = define("audit.pruned", CategoryTrail, "Removed records past the trail's retention period", "Done by Vigil.")
	TrailAlarm              = define("audit.alarm", CategoryTrail, "Found records of the trail removed or changed", "Written by Vigil; the detail says what it found.")
	TrailDamageAcknowledged = define("audit.damage_acknowledged", CategoryTrail, "Accepted a loss of records found in the trail", "On the server's command line (vigil audit acknowledge), with the reason given; the trail is signed again after it.")
)
