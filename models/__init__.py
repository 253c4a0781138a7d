"""Per problem (``schedcert.models.<problem>``): the exact formulations
(CP-SAT, Pyomo MILP) and their registration as methods; the parts of a
larger exact method sit beside it as ``<problem>_<part>`` modules."""
