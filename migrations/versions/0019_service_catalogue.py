"""The service catalogue is reference data (#17): the services a facility may offer, by the code
imports and facilityCreate name them with, are loaded by the migrations, so a database without the
demo data can take facilities with their services. A frozen copy of seeds/facility_data.SERVICES as
it stood; rows already there (a seeded database) are left alone.

Revision ID: 0019_service_catalogue
Revises: 0018_devices_thresholds
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_service_catalogue"
down_revision = "0018_devices_thresholds"
branch_labels = None
depends_on = None

# (code, name), as seeds/facility_data.SERVICES had them.
SERVICES = [
    ("MEDICAL_INSURANCE_ENROLMENT", "医保参保登记"),
    ("MEDICAL_INSURANCE_PAYMENT", "医保缴费"),
    ("MEDICAL_INSURANCE_OFFSITE_FILING", "医保异地就医备案"),
    ("MEDICAL_INSURANCE_ACCOUNT_QUERY", "医保个人账户查询"),
    ("MEDICAL_EXPENSE_REIMBURSEMENT", "医疗费用零星报销"),
    ("NEWBORN_MEDICAL_INSURANCE", "新生儿医保参保"),
    ("SOCIAL_SECURITY_CARD_APPLICATION", "社保卡申领"),
    ("SOCIAL_SECURITY_CARD_LOSS_REPORT", "社保卡挂失"),
    ("SOCIAL_SECURITY_CARD_REPLACEMENT", "社保卡补换"),
    ("E_SOCIAL_SECURITY_CARD", "电子社保卡申领"),
    ("SOCIAL_SECURITY_PAYMENT_PROOF_PRINT", "社保缴费证明打印"),
    ("SOCIAL_SECURITY_ENROLMENT_PROOF_PRINT", "个人社保参保证明查询打印"),
    ("FLEXIBLE_EMPLOYMENT_INSURANCE", "灵活就业人员参保登记"),
    ("RESIDENT_PENSION_ENROLMENT", "城乡居民养老保险参保登记"),
    ("PENSION_QUALIFICATION_CERTIFICATION", "养老金领取资格认证"),
    ("HOUSING_FUND_WITHDRAWAL", "公积金提取"),
    ("HOUSING_FUND_DEPOSIT_PROOF_PRINT", "公积金缴存证明打印"),
    ("HOUSING_FUND_ACCOUNT_QUERY", "公积金账户查询"),
    ("HOUSING_FUND_LOAN_CONSULTATION", "公积金贷款咨询"),
    ("REAL_ESTATE_REGISTRATION_QUERY", "不动产登记信息查询"),
    ("HOUSEHOLD_REGISTRATION_CERTIFICATE", "户籍证明开具"),
    ("NEWBORN_HUKOU_REGISTRATION", "新生儿出生登记落户"),
    ("ID_CARD_RENEWAL_APPOINTMENT", "身份证换领预约"),
    ("RESIDENCE_REGISTRATION", "居住登记"),
    ("RESIDENCE_PERMIT", "居住证办理"),
    ("EXIT_ENTRY_DOCUMENT_APPOINTMENT", "出入境证件办理预约"),
    ("NO_CRIMINAL_RECORD_CERTIFICATE", "无犯罪记录证明"),
    ("TRAFFIC_VIOLATION_HANDLING", "交通违法处理"),
    ("DRIVING_LICENCE_RENEWAL", "驾驶证换证"),
    ("VEHICLE_INSPECTION_APPOINTMENT", "机动车检验预约"),
    ("E_BIKE_REGISTRATION", "电动自行车登记上牌"),
    ("DOG_REGISTRATION", "养犬登记"),
    ("E_BUSINESS_LICENCE_DOWNLOAD", "电子营业执照下载"),
    ("INDIVIDUAL_BUSINESS_REGISTRATION", "个体工商户登记"),
    ("ENTERPRISE_ESTABLISHMENT", "企业开办一件事"),
    ("TAX_INVOICE_ISSUING", "税务发票代开"),
    ("INDIVIDUAL_INCOME_TAX_QUERY", "个人所得税查询"),
    ("TAX_PAYMENT_PROOF_PRINT", "完税证明打印"),
    ("UTILITY_BILL_PAYMENT", "水电气缴费"),
    ("BIRTH_REGISTRATION", "生育登记"),
    ("ADVANCED_AGE_ALLOWANCE", "高龄津贴申请"),
    ("DISABILITY_CERTIFICATE", "残疾人证办理"),
    ("MINIMUM_LIVING_ALLOWANCE", "低保申请"),
    ("TEMPORARY_ASSISTANCE", "临时救助申请"),
    ("EMPLOYMENT_REGISTRATION", "就业登记"),
    ("UNEMPLOYMENT_REGISTRATION", "失业登记"),
    ("UNEMPLOYMENT_INSURANCE_CLAIM", "失业保险金申领"),
    ("VOCATIONAL_TRAINING_SUBSIDY", "职业技能培训补贴申请"),
    ("TALENT_HUKOU_SETTLEMENT", "人才落户"),
    ("TALENT_POLICY_CONSULTATION", "人才政策咨询"),
    ("GRADUATE_LIVING_ALLOWANCE", "高校毕业生生活补贴申领"),
    ("TALENT_RENTAL_SUBSIDY", "人才租房补贴申请"),
    ("ENTREPRENEURSHIP_SUBSIDY", "创业补贴申请"),
    ("ENTREPRENEURSHIP_GUARANTEED_LOAN", "创业担保贷款申请"),
    ("SENIOR_PREFERENTIAL_CARD", "老年优待证办理"),
    ("ELDERLY_CARE_SUBSIDY", "养老服务补贴申请"),
    ("HOME_ELDERLY_CARE_BOOKING", "居家养老服务预约"),
    ("ELDERLY_MEAL_ASSISTANCE", "老年助餐登记"),
    ("CHILDCARE_SUBSIDY", "托育补贴申请"),
    ("INFANT_CARE_CONSULTATION", "婴幼儿照护咨询"),
    ("FAMILY_PLANNING_REWARD", "计划生育家庭奖励扶助"),
    ("SCHOOL_ENROLMENT_CONSULTATION", "义务教育入学咨询"),
    ("LEGAL_AID", "法律援助申请"),
    ("MEDIATION_CONSULTATION", "调解咨询"),
    ("WASTE_SORTING_CONSULTATION", "垃圾分类咨询"),
    ("VOLUNTEER_REGISTRATION", "志愿者注册"),
    ("PARTY_MEMBERSHIP_TRANSFER", "党员组织关系转接"),
    ("VETERAN_PREFERENTIAL_CARD", "退役军人优待证申请"),
    ("PUBLIC_RENTAL_HOUSING", "公租房申请"),
    ("RENTAL_FILING", "租赁备案"),
    ("ELEVATOR_RETROFIT_CONSULTATION", "老旧小区加装电梯咨询"),
    ("MARRIAGE_REGISTRATION_APPOINTMENT", "婚姻登记预约"),
    ("HEALTH_CERTIFICATE_APPOINTMENT", "健康证办理预约"),
    ("VACCINATION_APPOINTMENT", "疫苗接种预约"),
    ("FAMILY_DOCTOR_CONTRACT", "家庭医生签约"),
    ("CHRONIC_DISEASE_PRESCRIPTION_RENEWAL", "慢病长处方续方"),
    ("REGISTRATION_APPOINTMENT", "预约挂号"),
    ("HEALTH_CHECK_APPOINTMENT", "体检预约"),
    ("HEALTH_RECORD_QUERY", "电子健康档案查询"),
    ("BOOK_LENDING", "借书还书"),
    ("VENUE_BOOKING", "场地预约"),
    ("PARCEL_SERVICE", "快递收寄"),
    ("CASH_DEPOSIT_WITHDRAWAL", "取款存款"),
    ("MONEY_TRANSFER", "转账汇款"),
]


def upgrade() -> None:
    for code, name in SERVICES:
        op.execute(
            sa.text(
                "INSERT INTO services (code, name) VALUES (:code, :name) ON CONFLICT DO NOTHING"
            ).bindparams(code=code, name=name)
        )


def downgrade() -> None:
    # Only the services no facility offers: a facility's services are its operators' data.
    op.execute(
        sa.text(
            "DELETE FROM services s WHERE s.code = ANY(:codes) "
            "AND NOT EXISTS (SELECT 1 FROM facility_services f WHERE f.service_id = s.id)"
        ).bindparams(sa.bindparam("codes", [code for code, _ in SERVICES], type_=sa.ARRAY(sa.String())))
    )
