"""The realtime core both sockets share: the live room's (signaling/) and the watch page's
(broadcasts/).

* ``redis``: the one way to reach Redis (the channel layer's address, its clients);
* ``rates``: rates and token buckets, plain Python (per connection, per address);
* ``ratelimit``: the abuse limits shared by every web process (GCRA, Redis or local);
* ``errors``: the base of every refusal a socket sends and the WebSocket close codes;
* ``bus`` / ``hub`` / ``redis_link``: fan-out of events to a group's audiences (members,
  hosts, viewers) in every process; ``prepared``: frames framed once for many sockets.

Each socket keeps its own messages (``signaling/domain/protocol.py``,
``broadcasts/domain/protocol.py``); nothing here imports one of our apps.
"""
