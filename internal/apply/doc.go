// Package apply decides whether a child object needs writing: it compares the
// fields the operator sets with the live object, ignoring everything the
// operator leaves to others (ACK's late-initialised defaults, status, server
// metadata), so a steady-state reconcile makes no write at all.
package apply
