"""Public pages: the order tracking page, the lookup form and the embeddable widget."""
