"""An example module with the mistakes methodlint finds (see the README)."""

import http.client

import httpx
import requests

API = "https://api.example.com"


def find_orders(query: dict) -> list[dict]:
    # A GET with a JSON body: proxies may drop it, caches ignore it.
    return requests.get(f"{API}/orders/search", json=query).json()


def cancel(order_id: int) -> None:
    # httpx.delete() has no json= parameter: TypeError at run time.
    httpx.delete(f"{API}/orders/{order_id}", json={"reason": "customer"})


def refund(order_id: int, payload: bytes) -> None:
    conn = http.client.HTTPSConnection("api.example.com")
    # http.client sends the method as written: "post" is not POST.
    conn.request("post", f"/orders/{order_id}/refund", body=payload)


def charge(session: requests.Session, order_id: int, amount: int) -> dict:
    for _attempt in range(3):
        try:
            # A retried POST without an Idempotency-Key: a timeout after the server
            # charged the card charges it again.
            response = session.post(f"{API}/orders/{order_id}/charge", json={"amount": amount})
            response.raise_for_status()
            return response.json()
        except requests.exceptions.RequestException:
            continue
    raise RuntimeError("charge failed")


def rename(order_id: int, name: str) -> None:
    # Read, modify, write back: another client's change in between is lost.
    order = requests.get(f"{API}/orders/{order_id}").json()
    order["name"] = name
    requests.put(f"{API}/orders/{order_id}", json=order)
