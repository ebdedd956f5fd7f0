"""Renderers: terminal tables, HTML and PNG reports. No math here."""
