"""社区共治 (community affairs): the 小区 and its organisation, 有事一键找 (cases), 通知一键达 (notices)."""
