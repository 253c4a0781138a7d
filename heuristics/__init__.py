"""Per problem (``schedcert.heuristics.<problem>``): constructive and
improvement heuristics, registered as methods; each also reports a cheap
proven bound so that its gap is known."""
