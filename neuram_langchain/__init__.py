"""neuram_langchain: adapters (install the extra to use them)."""
