"""Writers: chunks of rows (GeoDataFrames in the export CRS) to a file on disk.

GeoPackage and Shapefile are written by GDAL (pyogrio), the first chunk creating the layer
and each later one appended, so only one chunk is ever in memory; GeoJSON likewise, each
chunk written by GDAL in memory and its features copied to the file. KML is written
in one piece (GDAL's KML driver cannot append; the format caps the row count instead).
Excel is written by openpyxl in write-only mode, row by row.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.raw
import shapely
from numpy.typing import NDArray
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from gis.core.crs import STORAGE_SRID
from gis.export.columns import Column, Kind

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _vector_frame(frame: gpd.GeoDataFrame, columns: Sequence[Column]) -> gpd.GeoDataFrame:
    """Dates as ISO text, for GeoJSON (which has no date type; GDAL reads them back as
    dates)."""
    out = frame.copy()
    for c in columns:
        if c.kind is Kind.DATE:
            out[c.name] = pd.Series([None if v is None else v.isoformat()
                                     for v in frame[c.name]], index=frame.index, dtype=object)
    return out


_INT32 = np.iinfo(np.int32)


def _field_array(values: pd.Series, kind: Kind, *, kml: bool) -> NDArray[Any]:
    """One field as the numpy array that makes GDAL create the right type: dates as
    ``datetime64[D]`` (GPKG DATE, DBF D), booleans as bool (GPKG boolean, DBF L), and for
    KML — whose schema knows only 32-bit integers — integers as int32, or as double when
    a value does not fit (VND amounts; exact below 2⁵³)."""
    if kind is Kind.DATE:
        return np.array([np.datetime64("NaT") if v is None or v is pd.NaT else
                         np.datetime64(v, "D") for v in values], dtype="datetime64[D]")
    array = values.to_numpy()
    if kml and kind in (Kind.INT, Kind.VND):
        ints = array.astype(np.int64)
        fits = not len(ints) or (ints.min() >= _INT32.min and ints.max() <= _INT32.max)
        return ints.astype(np.int32) if fits and kind is Kind.INT else ints.astype(float)
    return array


def _write_layer(frame: gpd.GeoDataFrame, path: Path, *, driver: str, layer: str,
                 columns: Sequence[Column], append: bool,
                 extra: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
    """One chunk through pyogrio's raw writer, so each field's GDAL type is chosen here
    (``write_dataframe`` turns dates into text). A new GeoPackage is written as version
    1.2, which GDAL 3.6 (Debian 12) and older QGIS read without a warning."""
    kml = driver == "KML"
    names = [name for name, _ in extra] + [c.name for c in columns]
    data = [np.asarray(list(values), dtype=object) for _, values in extra] + [
        _field_array(frame[c.name], c.kind, kml=kml) for c in columns]
    options: dict[str, Any] = {}
    if driver == "ESRI Shapefile":
        options["encoding"] = "UTF-8"
    if driver == "GPKG" and not append:
        options["dataset_options"] = {"VERSION": "1.2"}
    geoms = np.asarray(frame.geometry.values, dtype=object)
    pyogrio.raw.write(path, shapely.to_wkb(geoms), data, names, layer=layer, driver=driver,
                      geometry_type="MultiPolygon", promote_to_multi=True,
                      crs=frame.crs.to_wkt() if frame.crs is not None else None,
                      append=append, **options)


def write_vector(frames: Iterable[gpd.GeoDataFrame], path: Path, *, driver: str, layer: str,
                 columns: Sequence[Column]) -> None:
    """GeoPackage / Shapefile (UTF-8 with a .cpg), appended chunk by chunk; dates as dates
    and booleans as booleans in both."""
    for i, frame in enumerate(frames):
        _write_layer(frame, path, driver=driver, layer=layer, columns=columns, append=i > 0)


_FEATURES = '"features": [\n'


def write_geojson(frames: Iterable[gpd.GeoDataFrame], path: Path, *, layer: str,
                  columns: Sequence[Column]) -> None:
    """One FeatureCollection, each chunk written by GDAL in memory and its features copied
    into the file. (GDAL's GeoJSON driver rewrites the whole file on every append, which
    grows with the square of the row count: 130 s instead of ~10 s for 200,000 parcels.)"""
    wrote = False
    with path.open("w", encoding="utf-8") as out:
        for i, frame in enumerate(frames):
            buf = io.BytesIO()
            pyogrio.write_dataframe(_vector_frame(frame, columns), buf, layer=layer,
                                    driver="GeoJSON", promote_to_multi=True,
                                    geometry_type="MultiPolygon")
            head, sep, rest = buf.getvalue().decode("utf-8").partition(_FEATURES)
            if not sep:
                raise RuntimeError("unexpected GeoJSON layout from GDAL")
            body = rest.rstrip()
            body = body[:body.rindex("]")].strip()  # drop the closing "]\n}"
            if i == 0:
                out.write(head + sep)
            if body:
                out.write((",\n" if wrote else "") + body)
                wrote = True
        out.write("\n]\n}\n")


def write_shapefile_zip(frames: Iterable[gpd.GeoDataFrame], path: Path, *, layer: str,
                        columns: Sequence[Column]) -> None:
    """A zip holding one Shapefile: .shp, .shx, .dbf, .prj and a .cpg saying UTF-8.

    DBF limits apply: field names of at most 10 characters (hence ``columns``' short names)
    and text of at most 254 bytes (~100 Vietnamese letters); GeoPackage has neither."""
    folder = path.parent / f"{layer}_shp"
    folder.mkdir()
    shp = folder / f"{layer}.shp"
    write_vector(frames, shp, driver="ESRI Shapefile", layer=layer, columns=columns)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for suffix in SHAPEFILE_PARTS:
            part = shp.with_suffix(suffix)
            if part.exists():
                zf.write(part, part.name)
                part.unlink()
    for rest in folder.iterdir():
        rest.unlink()
    folder.rmdir()


def _vi_number(value: float, decimals: int) -> str:
    """1234567.5 -> '1.234.567,5' (Vietnamese separators)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def display_value(value: Any, kind: Kind) -> str:
    """A value as a person reads it (KML descriptions)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if kind is Kind.AREA:
        return _vi_number(float(value), 1) + " m²"
    if kind is Kind.VND:
        return _vi_number(int(value), 0) + " đồng"
    if kind is Kind.BOOL:
        return "Có" if value else "Không"
    if kind is Kind.DATE and isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def describe_html(row: dict[str, Any], columns: Sequence[Column]) -> str:
    """The KML balloon: a two-column table of Vietnamese headings and values."""
    cells = "".join(f"<tr><td><b>{html.escape(c.heading_vi)}</b></td>"
                    f"<td>{html.escape(display_value(row[c.name], c.kind))}</td></tr>"
                    for c in columns)
    return f"<table>{cells}</table>"


def write_kml(frames: Iterable[gpd.GeoDataFrame], path: Path, *, layer: str,
              columns: Sequence[Column], name_of: Callable[[dict[str, Any]], str]) -> None:
    """KML for Google Earth (WGS84): each placemark has a name and a readable description;
    the fields are kept as ExtendedData too."""
    parts, names, descriptions = [], [], []
    for frame in frames:
        records = frame.drop(columns="geometry").to_dict("records")
        names += [name_of(r) for r in records]
        descriptions += [describe_html(r, columns) for r in records]
        parts.append(frame)
    whole = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry",
                             crs=parts[0].crs)
    _write_layer(whole, path, driver="KML", layer=layer, columns=columns, append=False,
                 extra=(("Name", names), ("Description", descriptions)))


_FORMATS = {Kind.INT: "0", Kind.AREA: "#,##0.0", Kind.VND: "#,##0", Kind.DATE: "dd/mm/yyyy"}
_WIDTHS = {Kind.INT: 10, Kind.AREA: 14, Kind.VND: 18, Kind.DATE: 12, Kind.BOOL: 10,
           Kind.TEXT: 22}


def xy_headings(srid: int) -> tuple[str, str]:
    """Headings of the two coordinate columns of the Excel sheet."""
    if srid == STORAGE_SRID:
        return "Toạ độ X (Đông, m) — điểm trong thửa", "Toạ độ Y (Bắc, m) — điểm trong thửa"
    return "Kinh độ — điểm trong thửa", "Vĩ độ — điểm trong thửa"


def write_xlsx(frames: Iterable[gpd.GeoDataFrame], path: Path, *, columns: Sequence[Column],
               srid: int, title: str, notes: Sequence[tuple[str, str]]) -> None:
    """One data sheet (Vietnamese headings, frozen header, number formats, areas in m², VND
    as integers, a point inside each feature as X/Y) and a notes sheet."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    x_head, y_head = xy_headings(srid)
    xy_format = "#,##0.000" if srid == STORAGE_SRID else "0.0000000"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS[c.kind]
    for i in (len(columns) + 1, len(columns) + 2):
        ws.column_dimensions[get_column_letter(i)].width = 16
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for heading in [c.heading_vi for c in columns] + [x_head, y_head]:
        cell = WriteOnlyCell(ws, value=heading)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    ws.append(header)
    for frame in frames:
        pts = shapely.point_on_surface(np.asarray(frame.geometry.values, dtype=object))
        xs, ys = shapely.get_x(pts), shapely.get_y(pts)
        values = {c.name: frame[c.name].tolist() for c in columns}
        for r in range(len(frame)):
            row: list[Any] = []
            for c in columns:
                v = values[c.name][r]
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    row.append(None)
                    continue
                if c.kind is Kind.BOOL:
                    row.append("Có" if v else "Không")
                    continue
                cell = WriteOnlyCell(ws, value=int(v) if c.kind in (Kind.INT, Kind.VND) else v)
                if c.kind in _FORMATS:
                    cell.number_format = _FORMATS[c.kind]
                row.append(cell)
            for coord in (xs[r], ys[r]):
                cell = WriteOnlyCell(ws, value=None if np.isnan(coord) else float(coord))
                cell.number_format = xy_format
                row.append(cell)
            ws.append(row)
    info = wb.create_sheet("Thông tin")
    info.column_dimensions["A"].width, info.column_dimensions["B"].width = 28, 90
    for key, value in notes:
        label = WriteOnlyCell(info, value=key)
        label.font = bold
        info.append([label, value])
    wb.save(path)
