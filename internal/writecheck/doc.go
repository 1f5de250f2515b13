// Package writecheck decides whether a child object needs writing, from what the
// operator last applied (a hash of its render, kept on the child) rather than
// from the live spec, which ACK rewrites with AWS's answers; and it finds the
// fields another writer than the operator and ACK took, so a hand edit is put
// back. A steady-state reconcile makes no write at all.
package writecheck
