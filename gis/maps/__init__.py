"""What the project map and GIS clients draw: the parcel vector tiles and their cache
(``tiles``), their TileJSON and style (``tilejson``), the other map layers and the legend's
figures (``layers``), the parcel search and details panel (``parcel_panel``) and projects,
alignments and parcels as GeoJSON (``geodata``). OGC API – Features is ``gis.ogc``."""
