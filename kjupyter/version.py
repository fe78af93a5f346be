"""The package's version, in a module of its own.

Modules of every layer (the connection's user agent, the worker's hello) need it; importing it
from the root package would import the root's lazy exports, which reach the top layers.
"""

__version__ = "0.1.0"
