def test_login_page_renders_in_korean(client):
    response = client.get("/auth/login")
    assert response.status_code == 200
    assert "로그인" in response.get_data(as_text=True)


def test_staff_logs_in_and_sees_home(as_role, client):
    from portal.users.models import Role

    as_role(Role.STAFF)
    response = client.get("/")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "반갑습니다" in response.get_data(as_text=True)
