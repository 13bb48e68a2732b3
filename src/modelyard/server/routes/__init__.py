"""One module per noun of the seed API. Each has `reads` and `writes` routers, so the app
can put the write-token check on exactly the writes."""
