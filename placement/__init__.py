"""Where live rooms run: media workers registered in Redis, rooms and members placed on them.

Plain Python and Redis (no Django, no aiortc): the web processes place members, the media
workers register and renew their leases, and ``bench/nationwide.py`` drives the same code
with stand-in workers. ``costs`` holds the load model, ``store`` the Redis side.
"""
