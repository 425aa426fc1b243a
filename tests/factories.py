import factory
from django.contrib.auth.models import Group, User
from django.utils import timezone

from leads.models import ActivityEvent, Company, Contact, EventType, LifecycleStage
from leads.services import contact_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@leadbridge.test")
    password = factory.django.Password("pw")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))


def user_with_role(role: str, **kwargs) -> User:
    return UserFactory(role=role, **kwargs)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")
    industry = "Software"
    employee_count = 250
    country = "DE"


class ContactFactory(factory.django.DjangoModelFactory):
    """Contacts are made through contact_create, so each has its first history row."""

    class Meta:
        model = Contact

    email = factory.Sequence(lambda n: f"contact{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    job_title = "Head of Marketing"
    company = factory.SubFactory(CompanyFactory)
    lifecycle_stage = LifecycleStage.LEAD

    @classmethod
    def _create(cls, model_class, *args, email, lifecycle_stage, **kwargs):
        return contact_create(email=email, data=kwargs, stage=lifecycle_stage, system="tests")


class ActivityEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityEvent

    contact = factory.SubFactory(ContactFactory)
    event_type = EventType.PAGE_VIEW
    properties = factory.LazyFunction(lambda: {"url": "/pricing"})
    occurred_at = factory.LazyFunction(timezone.now)
    source = "web"
