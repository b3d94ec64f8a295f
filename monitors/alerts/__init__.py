"""Alert sinks: Teams, Slack, a signed generic webhook and an Event Grid topic, plus the digest wording they share.

Each sink module pairs a pure ``render_*`` builder with a ``*Sink`` class whose ``send`` does the I/O and raises
``DeliveryError`` for anything but acceptance; ``sink.build_sinks`` makes one per configured setting.
"""
