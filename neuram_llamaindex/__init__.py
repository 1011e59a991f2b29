"""neuram_llamaindex: adapters (install the extra to use them)."""
