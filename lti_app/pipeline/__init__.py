"""The top of the house: the coach's pipeline and the mentor's portal, readers of every
capability (placements, guests, hours, agreements); nothing imports them."""
