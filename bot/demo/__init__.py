"""The demo province: Saraburi's areas, Thai names, and loans in every debtor class."""
