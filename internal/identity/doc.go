// Package identity owns who people are to Vigil: users, their console
// sessions and API tokens, their second factor (TOTP and recovery codes),
// the link of an account to an OpenID provider, and the counting of failed
// sign-ins that locks an account or an address.
//
// It holds the model (User, Token, Throttle), the rules (what a username,
// a new password, a token's name and lifetime may be; when a sign-in is
// locked; who may make or remove whom), and Service, which makes every
// change with its audit record in one transaction (Repo.Log), so no
// change to an account can be committed without its record. The
// password, token and TOTP mathematics stay in the foundation auth; the
// SQL stays in the store, which implements Repo.
package identity
