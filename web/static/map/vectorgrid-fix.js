/* GPMB patch for Leaflet.VectorGrid 1.3.0 on Leaflet >= 1.8.
 *
 * VectorGrid's canvas tile renderer handles clicks with L.DomEvent.fakeStop(), which
 * Leaflet 1.8 removed: every click on a parcel threw a TypeError and no click/popup
 * handler ran. This replaces that one method with the logic of Leaflet 1.9's own
 * L.Canvas#_onClick, shifted by the tile's offset. Loaded right after VectorGrid. */
(function () {
  "use strict";
  if (!window.L || !L.Canvas || !L.Canvas.Tile) { return; }
  L.Canvas.Tile.include({
    _onClick: function (e) {
      if (!this._map) { return; }
      var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset());
      var clicked = null;
      for (var id in this._layers) {
        var layer = this._layers[id];
        if (layer.options.interactive && layer._containsPoint(point)) {
          var isClick = e.type === "click" || e.type === "preclick";
          if (!isClick || !this._map._draggableMoved(layer)) { clicked = layer; }
        }
      }
      // Leaflet >= 1.8 dispatches to the layer (and its parents, the VectorGrid) and
      // falls back to the map itself when nothing was hit.
      this._fireEvent(clicked ? [clicked] : false, e);
    }
  });
  L.Canvas.Tile.prototype.gpmbClickFix = true;
})();
