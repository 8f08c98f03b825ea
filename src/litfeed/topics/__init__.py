"""Topics: the map of the field (`build`: layout, clusters at two levels, labels). Derived from
the stored embeddings; no web or mail code here."""
