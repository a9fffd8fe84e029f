// Package e2e holds the end-to-end tests of Vigil's console: a real
// Chromium, driven by playwright-core (console.mjs), signs in to a real
// `vigil demo` and uses the live wall, playback, export and the map as an
// operator would; signin.mjs takes a new operator through sign-in, and a
// real OpenID provider (oidc_provider.mjs, npm oidc-provider) stands in for
// a partnership's single sign-on; maintenance.mjs reports a camera fault
// as an operator and records the contractor's response as the manager;
// erasure.mjs deletes footage early as the manager, under four eyes, and
// approves it as the administrator.
// The Go tests start the demo, run the browser and judge
// what it saw; they hold no production code.
package e2e
