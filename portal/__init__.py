"""The customer portal: catalog, cart, quick order, orders."""
