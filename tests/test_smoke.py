def test_it_builds_the_cast(cast):
    assert cast.org.memberships.count() == 5
    assert cast.other_org.memberships.get().user == cast.users["outsider"]
