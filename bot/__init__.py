"""fundbot's web app, LINE channel and command line."""


def create_app(*args, **kwargs):
    """The Flask app (see bot.app.create_app); imported lazily to keep the CLI light."""
    from bot.app import create_app as factory

    return factory(*args, **kwargs)
