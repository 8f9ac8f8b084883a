"""Knowledge tables and their builders: place names to township level (places), law titles (lawnames), and the phrase table that finds them."""
