from django.urls import path

from openaims.tenancy import views

app_name = "tenancy"
urlpatterns = [
    path("organizations/new/", views.organization_create_view, name="organization_new"),
    path("invitations/<str:secret>/", views.accept_view, name="accept"),
    path("o/<slug:org>/settings/", views.settings_view, name="settings"),
    path("o/<slug:org>/members/", views.members_view, name="members"),
    path("o/<slug:org>/members/add/", views.member_add_view, name="member_add"),
    path("o/<slug:org>/members/invite/", views.invite_view, name="invite"),
    path("o/<slug:org>/members/<int:pk>/", views.member_view, name="member"),
    path("o/<slug:org>/members/<int:pk>/remove/", views.member_remove_view, name="member_remove"),
    path("o/<slug:org>/invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="invitation_revoke"),
    path("o/<slug:org>/tokens/", views.tokens_view, name="tokens"),
    path("o/<slug:org>/tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
]
