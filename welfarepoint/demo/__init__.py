"""The demo network: a fixture generator and its loader, kept out of the domain packages."""
