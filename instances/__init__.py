"""Per problem (one module each, ``schedcert.instances.<problem>``): the data
model, readers and writers, the generator, the validator written from the
problem definition (``evaluate``), and the problem's registration.
Format readers too large for that module sit beside it (``rcpsp_doc``,
``rcpsp_ramp``, ``dag_formats``, ``podpack_formats``)."""
