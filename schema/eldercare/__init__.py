"""智慧养老 in the graph: elders, readings in, care alerts, their live feed, the care board.

Health data (vitals, alerts, visits) is shown only to care staff of the elder's community and to
family the elder consented to; each request that reads it leaves one access-log row per elder.
"""

from schema.eldercare.operations import ElderCareMutation, ElderCareQuery, ElderCareSubscription

__all__ = ["ElderCareMutation", "ElderCareQuery", "ElderCareSubscription"]
