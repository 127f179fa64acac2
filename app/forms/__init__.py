"""Form pieces shared by the blueprints (fields whose display and parsing follow the reader's locale)."""
