"""Pages: Folium map builders, Jinja templates, static assets, page routes."""
