"""社区共治 in the graph: the 小区 and its organisation, cases (有事一键找), notices (通知一键达), figures."""
