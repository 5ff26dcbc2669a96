"""The support knowledge base: articles on disk, a search index, the answer decision.

Plain modules with no web framework, shared by the action server (actions/knowledge.py)
and the hub (GET /api/kb/search).
"""
