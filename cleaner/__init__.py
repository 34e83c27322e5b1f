"""cleaner: turn raw scraped web text and HTML into clean, deduplicated text."""
