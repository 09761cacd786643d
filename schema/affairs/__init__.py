"""社区共治 in the graph: the 小区 and its organisation, cases (有事一键找), notices (通知一键达), figures."""

import strawberry

from schema.affairs.cases import CasesMutation, CasesQuery, CasesSubscription
from schema.affairs.figures import CaseFiguresQuery
from schema.affairs.notices import NoticesMutation, NoticesQuery
from schema.affairs.organisation import OrganisationMutation, OrganisationQuery


@strawberry.type
class AffairsQuery(OrganisationQuery, CasesQuery, NoticesQuery, CaseFiguresQuery):
    pass


@strawberry.type
class AffairsMutation(OrganisationMutation, CasesMutation, NoticesMutation):
    pass


@strawberry.type
class AffairsSubscription(CasesSubscription):
    pass
