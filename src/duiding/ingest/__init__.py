"""Reading archives into :class:`duiding.model.Article` records, and storing them."""
