"""Recourse (回购): a dealer's repurchase of a loan it sold, requested, approved, collected."""
