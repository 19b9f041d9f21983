"""Haven: a secure platform for networks of NGOs."""
