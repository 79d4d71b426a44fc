"""Product catalog, recommendations, discount codes, campaigns, page banners and analytics."""
