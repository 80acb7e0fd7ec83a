"""An interactive chart widget for the app: ECharts, served from the machine, updated in place.

ECharts (canvas, with tooltips, legend toggles and zoom) is shipped with
``solara-assets`` and served by the app's own server (``/_solara/cdn``), so the page
fetches nothing from the network. Unlike :func:`solara.FigureEcharts`, which rebuilds
the chart whenever its option changes, :class:`LiveChart` keeps two traits apart:

* ``option`` — axes, titles, legend and the series' look: sent once per model;
* ``series`` — only the series' data (one short list per series): sent every Step
  and merged into the chart (``setOption`` in merge mode), so a Step costs a few
  kilobytes and one canvas redraw per chart in view (a chart scrolled out of view
  redraws when it comes back into view).

The x-axis of a time chart is the run's quarters (fixed, so it never rescales);
``"quarterAxis": true`` in the option's ``xAxis`` labels it by year (a tick at each
first quarter, labelled with its year; every other year on runs longer than 6 years).
A series' ``"unit"`` is appended to its values in the tooltip.
The chart's element carries ``data-chart`` (its key) and ``data-points`` (points of
its first series drawn), which the browser test reads.
"""

from __future__ import annotations

import ipyvuetify
import traitlets

__all__ = ["LiveChart"]

_TEMPLATE = r"""
<template>
  <div class="aipm-chart" :data-chart="chart_key" :data-points="points"
       :style="'width: 100%; height: ' + height"></div>
</template>
<script>
module.exports = {
  data() { return { points: -1, visible: true, stale: false }; },
  mounted() {
    const cdn = window.solara ? window.solara.cdn : "_solara/cdn";
    const load = () => new Promise((resolve) =>
      window.requirejs([`${cdn}/echarts@5.4.0/dist/echarts.min.js`], (e) => resolve(e)));
    const ready = window.requirejs ? Promise.resolve() : new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = `${cdn}/requirejs@2.3.6/require.js`;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
    ready.then(load).then((echarts) => {
      this.chart = echarts.init(this.$el, null, { renderer: "canvas" });
      this.applyOption();
      this.resizer = new ResizeObserver(() => this.chart && this.chart.resize());
      this.resizer.observe(this.$el);
      // a chart scrolled out of view skips redraws; it catches up when it comes back
      this.watcher = new IntersectionObserver((entries) => {
        this.visible = entries[entries.length - 1].isIntersecting;
        if (this.visible && this.stale) this.applySeries();
      });
      this.watcher.observe(this.$el);
    });
  },
  beforeDestroy() {
    if (this.resizer) this.resizer.disconnect();
    if (this.watcher) this.watcher.disconnect();
    if (this.chart) this.chart.dispose();
  },
  watch: {
    option() { this.applyOption(); },
    series() {
      this.applySeries();
      // tell the server how far this page has got (Play waits for it: no running ahead)
      const first = this.series.length ? this.series[0] : {};
      this.received = (first.data || []).length;
    },
  },
  methods: {
    fmt(v, unit) {
      if (v === null || v === undefined || Number.isNaN(v)) return "–";
      const a = Math.abs(v);
      const s = a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1)
        : a >= 1 ? v.toFixed(2) : v.toPrecision(2);
      return s + (unit || "");
    },
    decorate(option) {
      const o = JSON.parse(JSON.stringify(option));
      const axes = Array.isArray(o.xAxis) ? o.xAxis : (o.xAxis ? [o.xAxis] : []);
      for (const ax of axes) {
        if (!ax.quarterAxis) continue;
        // a label at the first quarter of a year: every year, or every other on long runs
        const years = (ax.data || []).filter((v) => String(v).endsWith("Q1"));
        const first = years.length ? Number(String(years[0]).slice(0, 4)) : 0;
        const every = years.length > 6 ? 2 : 1;
        const shown = (v) => String(v).endsWith("Q1")
          && (Number(String(v).slice(0, 4)) - first) % every === 0;
        ax.axisLabel = Object.assign({}, ax.axisLabel, {
          interval: (i, v) => shown(v), formatter: (v) => shown(v) ? String(v).slice(0, 4) : "" });
        ax.axisTick = Object.assign({}, ax.axisTick, {
          interval: (i, v) => String(v).endsWith("Q1") });
        delete ax.quarterAxis;
      }
      for (const s of (o.series || [])) {
        const unit = s.unit;
        s.tooltip = Object.assign({}, s.tooltip, { valueFormatter: (v) => this.fmt(v, unit) });
        delete s.unit;
      }
      return o;
    },
    applyOption() {
      if (!this.chart) return;
      this.chart.setOption(this.decorate(this.option), true);
      this.applySeries();
    },
    applySeries() {
      if (!this.chart) return;
      if (!this.visible) { this.stale = true; return; }
      this.stale = false;
      this.chart.setOption({ series: this.series });
      const first = this.series.length ? this.series[0] : {};
      this.points = (first.data || []).length;
    },
  },
};
</script>
"""


class LiveChart(ipyvuetify.VuetifyTemplate):
    """One ECharts chart: ``option`` set once, ``series`` data merged on every update.

    Parameters (traits)
    -------------------
    option
        ECharts option (JSON): title, axes, legend, series look (no data needed).
    series
        One dict per series of ``option``, in the same order, with the keys to merge
        (usually ``{"data": [...]}``; a graph series also ``"links"``).
    chart_key
        Name of the chart (``data-chart`` attribute of its element).
    height
        CSS height of the chart, e.g. ``"220px"``.
    received
        Set by the page: points of the first series it has received (``on_received``
        lets the server wait for the page while playing).
    """

    template = traitlets.Unicode(_TEMPLATE).tag(sync=True)
    option = traitlets.Dict().tag(sync=True)
    series = traitlets.List().tag(sync=True)
    chart_key = traitlets.Unicode("").tag(sync=True)
    received = traitlets.Int(-1).tag(sync=True)
    height = traitlets.Unicode("220px").tag(sync=True)
