"""Carolina's custom actions (rasa-sdk). One module per family; nothing runs at import."""
