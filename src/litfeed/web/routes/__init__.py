"""The web app's routers, one per area; each is made by a function given the hub and the
page renderer, and included by `litfeed.web.create_app`."""
