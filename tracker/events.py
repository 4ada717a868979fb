"""USDT event signatures (identical on Ethereum and Tron) and their topic0 hashes."""

from eth_utils import keccak

TRANSFER_SIGNATURE = "Transfer(address,address,uint256)"
ISSUE_SIGNATURE = "Issue(uint256)"
REDEEM_SIGNATURE = "Redeem(uint256)"
DESTROYED_BLACK_FUNDS_SIGNATURE = "DestroyedBlackFunds(address,uint256)"


def topic0(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


TRANSFER_TOPIC = topic0(TRANSFER_SIGNATURE)
ISSUE_TOPIC = topic0(ISSUE_SIGNATURE)
REDEEM_TOPIC = topic0(REDEEM_SIGNATURE)
DESTROYED_BLACK_FUNDS_TOPIC = topic0(DESTROYED_BLACK_FUNDS_SIGNATURE)

# supply_events.kind for each supply topic
SUPPLY_KINDS = {
    ISSUE_TOPIC: "issue",
    REDEEM_TOPIC: "redeem",
    DESTROYED_BLACK_FUNDS_TOPIC: "destroyed_black_funds",
}

ALL_TOPICS = [TRANSFER_TOPIC, ISSUE_TOPIC, REDEEM_TOPIC, DESTROYED_BLACK_FUNDS_TOPIC]
