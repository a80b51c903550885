#!/usr/bin/env python3
"""Writes ../dist/monitoring/isthmus-dashboard.json, the Grafana dashboard shipped with Isthmus.

The JSON is the shipped file; this script is how it is made, so that the rows of every protocol stay
alike. Run it after changing the panels: python3 distribution/src/monitoring/make-dashboard.py
MonitoringIT asks a real Prometheus for every panel's query.
"""
import json
import os

SEL = 'job="isthmus", instance=~"$instance"'
RATE = '$__rate_interval'

# (protocol label, row title, protocol-specific panels)
PROTOCOLS = [
    ("webroute", "WebRoute", "pairing"),
    ("remoted", "Remoted API", "pairing"),
    ("bare", "TompHTTP Bare", "egress"),
    ("wstunnel", "websocktunnel", "sessions"),
    ("rawsocket", "Raw sockets (websockify, wsproxy paths, UDP)", "egress"),
    ("wisp", "Wisp (in plugin-rawsocket)", "egress"),
]

panels = []
next_id = 1
y = 0


def panel(title, exprs, w=8, h=7, unit="short", kind="timeseries", desc=""):
    global next_id
    p = {
        "id": next_id,
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"x": 0, "y": 0, "w": w, "h": h},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}} if kind == "timeseries" else {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value", "graphMode": "area", "textMode": "auto"},
        "targets": [{"refId": chr(ord("A") + i), "expr": e, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                    for i, (e, legend) in enumerate(exprs)],
    }
    next_id += 1
    return p


def row(title, row_panels):
    """A row header, then its panels laid out left to right, wrapping at 24 columns."""
    global y, next_id
    panels.append({"id": next_id, "type": "row", "title": title, "collapsed": False,
                   "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
    next_id += 1
    y += 1
    x = 0
    line_h = 0
    for p in row_panels:
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x = 0
            y += line_h
            line_h = 0
        p["gridPos"].update({"x": x, "y": y})
        x += w
        line_h = max(line_h, h)
        panels.append(p)
    y += line_h


row("Gateway", [
    panel("Instances up", [(f'up{{{SEL}}}', "{{instance}}")], w=4, kind="stat",
          desc="1 while Prometheus scrapes the admin port."),
    panel("Version", [(f'isthmus_build_info{{{SEL}}}', "{{instance}} {{version}}")], w=4, kind="stat"),
    panel("Draining", [(f'isthmus_draining{{{SEL}}}', "{{instance}}")], w=4, kind="stat",
          desc="1 from SIGTERM until exit."),
    panel("Links cut at the drain deadline (1h)", [(f'increase(isthmus_drain_aborted_total{{{SEL}}}[1h])', "{{instance}}")],
          w=4, kind="stat"),
    panel("Links started by mode", [(f'sum by (mode) (rate(isthmus_splices_total{{{SEL}}}[{RATE}]))', "{{mode}}")],
          w=8, unit="ops", desc="copy (through the JVM), splice (in the kernel from the first byte: zero-copy = true) or auto (the default: copy, the kernel path while bulk; isthmus_zero_copy_switches_total counts the moves)."),
    panel("Connections by protocol", [(f'sum by (protocol) (isthmus_connections_active{{{SEL}}})', "{{protocol}}")],
          desc="http: every accepted connection, before and after a protocol takes it."),
    panel("Live links by protocol", [(f'sum by (protocol) (isthmus_splices_active{{{SEL}}})', "{{protocol}}")]),
    panel("Bytes/s by protocol", [(f'sum by (protocol) (rate(isthmus_spliced_bytes_total{{{SEL}}}[{RATE}]))', "{{protocol}}")],
          unit="Bps"),
    panel("Refusals/s by protocol", [(f'sum by (protocol) (rate(isthmus_rejections_total{{{SEL}}}[{RATE}]))', "{{protocol}}")],
          unit="ops"),
    panel("Process CPU", [(f'process_cpu_usage{{{SEL}}}', "{{instance}}")], unit="percentunit"),
    panel("Memory", [(f'sum by (instance) (jvm_memory_used_bytes{{{SEL}, area="heap"}})', "heap {{instance}}"),
                     (f'sum by (instance) (netty_allocator_memory_used{{{SEL}}})', "buffers {{instance}}")],
          unit="bytes", desc="JVM heap, and the Netty allocator's buffers (direct and heap)."),
    panel("Open files", [(f'process_files_open_files{{{SEL}}}', "{{instance}}")],
          desc="Every connection is a descriptor; zero-copy links add a pipe (two) per direction."),
])

row("Front door (http)", [
    panel("Accepted connections held", [(f'sum(isthmus_connections_active{{{SEL}, protocol="http"}})', "connections")]),
    panel("Refusals/s by reason", [(f'sum by (reason) (rate(isthmus_rejections_total{{{SEL}, protocol="http"}}[{RATE}]))', "{{reason}}")],
          w=16, unit="ops", desc="Bad heads, no route, connection caps: docs/METRICS.md lists the reasons."),
])


def bare_cells(p):
    """Bare is HTTP requests and WebSocket tunnels, not handshakes: its own counters, by outcome, stand there."""
    return [
        panel("Requests/s by outcome", [(f'sum by (outcome) (rate(isthmus_bare_requests_total{{{p}}}[{RATE}]))', "{{outcome}}")],
              unit="ops", desc="ok, or the Bare error code in lower case (impl_forbidden_remote: the egress policy)."),
        panel("WebSocket tunnels/s by outcome",
              [(f'sum by (outcome) (rate(isthmus_bare_websockets_total{{{p}}}[{RATE}]))', "{{outcome}}")],
              unit="ops", desc="open, or why the tunnel did not open (remote_refused: the egress policy)."),
    ]


def protocol_row(proto, title, kind):
    p = f'{SEL}, protocol="{proto}"'
    cells = [
        panel("Connections and links", [(f'sum(isthmus_connections_active{{{p}}})', "connections"),
                                        (f'sum(isthmus_splices_active{{{p}}})', "links")]),
        panel("Links/s", [(f'sum(rate(isthmus_splices_total{{{p}}}[{RATE}]))', "links")], unit="ops"),
        panel("Bytes/s each way", [(f'sum by (direction) (rate(isthmus_spliced_bytes_total{{{p}}}[{RATE}]))', "{{direction}}")],
              unit="Bps", desc="upstream: from the side that asked (A) to the side it reaches (B)."),
    ] + (bare_cells(p) if proto == "bare" else [
        panel("Handshakes/s by outcome", [(f'sum by (outcome) (rate(isthmus_handshakes_total{{{p}}}[{RATE}]))', "{{outcome}}")],
              unit="ops"),
        panel("Refusals/s by reason", [(f'sum by (reason) (rate(isthmus_rejections_total{{{p}}}[{RATE}]))', "{{reason}}")],
              unit="ops"),
    ]) + [
        panel("Mean link lifetime", [(f'sum(rate(isthmus_splice_duration_seconds_sum{{{p}}}[{RATE}])) / '
                                      f'sum(rate(isthmus_splice_duration_seconds_count{{{p}}}[{RATE}]))', "mean")],
              unit="s", desc="Of the links that ended in the interval."),
    ]
    if kind == "pairing":
        cells.append(panel("Waiting for a partner, and the cap",
                           [(f'sum(isthmus_webroute_waiting{{{p}}})', "waiting"),
                            (f'max(isthmus_webroute_waiting_limit{{{p}}})', "max-waiting")],
                           desc="Arrivals past max-waiting get 503 (waiting_full); the IsthmusWaitingNearCap alert fires at 80%."))
    elif kind == "sessions":
        # websocktunnel never dials out (its clients dial in), so its own gauges stand where egress would.
        cells.append(panel("Client sessions and open streams",
                           [(f'sum(isthmus_wstunnel_sessions{{{SEL}}})', "sessions"),
                            (f'sum(isthmus_wstunnel_streams_open{{{SEL}}})', "streams")],
                           desc="Registered clients, and viewer requests or WebSockets in flight through them."))
    else:
        cells.append(panel("Egress refusals/s by reason",
                           [(f'sum by (reason) (rate(isthmus_egress_refusals_total{{{p}}}[{RATE}]))', "{{reason}}")],
                           unit="ops", desc="Dials the egress policy refused (public unicast only by default)."))
    row(f"{title} ({proto})", cells)


for proto, title, kind in PROTOCOLS:
    protocol_row(proto, title, kind)

dashboard = {
    "uid": "isthmus-gateway",
    "title": "Isthmus gateway",
    "description": "Isthmus edge gateway: one row per protocol over the isthmus_* series (docs/METRICS.md).",
    "tags": ["isthmus"],
    "timezone": "browser",
    "schemaVersion": 39,
    "version": 1,
    "editable": True,
    "graphTooltip": 1,
    "refresh": "30s",
    "time": {"from": "now-1h", "to": "now"},
    "templating": {"list": [
        {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
         "current": {}, "hide": 0, "refresh": 1},
        {"name": "instance", "label": "Instance", "type": "query",
         "datasource": {"type": "prometheus", "uid": "${datasource}"},
         "query": {"query": 'label_values(isthmus_build_info{job="isthmus"}, instance)', "refId": "instances"},
         "definition": 'label_values(isthmus_build_info{job="isthmus"}, instance)',
         "multi": True, "includeAll": True, "allValue": ".*", "current": {}, "refresh": 2, "sort": 1, "hide": 0},
    ]},
    "annotations": {"list": []},
    "panels": panels,
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dist", "monitoring", "isthmus-dashboard.json")
with open(out, "w") as f:
    json.dump(dashboard, f, indent=2, ensure_ascii=False)
    f.write("\n")
print("wrote", os.path.normpath(out), len(panels), "panels")
