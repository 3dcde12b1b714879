"""Procedural demo products for the tryon catalog, written as glTF 2.0 binaries.

Everything here is built in the product frame in millimetres (+Y up, +Z toward the viewer,
+X to the viewer's right, origin at the fit anchor); glb.py converts to metres on writing.
"""
